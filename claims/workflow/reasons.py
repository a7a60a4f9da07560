"""Reason codes for refusing a claim and items a township asks to correct (domain brief, section 5)."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class RefusalReason(enum.StrEnum):
    SPECIES_NOT_COVERED = "species_not_covered"
    NOT_WILDLIFE = "not_wildlife"
    PROVOKED = "provoked"
    HUNTING = "hunting"
    RESERVE_ENTRY = "reserve_entry"
    OUTSIDE_DESIGNATED_AREA = "outside_designated_area"
    LIVESTOCK_UNPENNED = "livestock_unpenned"
    FARMED_ANIMALS = "farmed_animals"
    WORK_INJURY = "work_injury"
    AGRICULTURAL_INSURANCE = "agricultural_insurance"
    OTHER_COMPENSATION = "other_compensation"
    LATE_REPORT = "late_report"
    BELOW_MINIMUM = "below_minimum"
    NO_PREVENTION = "no_prevention"
    TOO_MANY_REPORTS = "too_many_reports"
    DUPLICATE = "duplicate"
    NOT_CORRECTED = "not_corrected"
    OTHER = "other"

    @property
    def title(self) -> str:
        return str(_REFUSAL_TITLES[self])


_REFUSAL_TITLES = {
    RefusalReason.SPECIES_NOT_COVERED: _l("The animal is not covered on the incident date"),
    RefusalReason.NOT_WILDLIFE: _l("The damage was not done by a wild animal"),
    RefusalReason.PROVOKED: _l("The victim attacked, teased or fed the animal, or deliberately harmed it"),
    RefusalReason.HUNTING: _l("Injury while hunting, or during illegal hunting"),
    RefusalReason.RESERVE_ENTRY: _l("Entered a nature reserve or important habitat without permission, or broke its rules"),
    RefusalReason.OUTSIDE_DESIGNATED_AREA: _l("Crops or trees outside the lawfully designated or contracted production area"),
    RefusalReason.LIVESTOCK_UNPENNED: _l("Livestock not penned or herded, or grazing in a reserve or grazing-ban area without permission"),
    RefusalReason.FARMED_ANIMALS: _l("Damage by farmed, traded, transported or illegally released animals"),
    RefusalReason.WORK_INJURY: _l("Work-injury insurance applies"),
    RefusalReason.AGRICULTURAL_INSURANCE: _l("Already covered by policy-based agricultural insurance"),
    RefusalReason.OTHER_COMPENSATION: _l("Already compensated otherwise"),
    RefusalReason.LATE_REPORT: _l("Reported too late"),
    RefusalReason.BELOW_MINIMUM: _l("The loss is below the minimum"),
    RefusalReason.NO_PREVENTION: _l("No reasonable prevention measures were taken"),
    RefusalReason.TOO_MANY_REPORTS: _l("Too many reports by the household this year"),
    RefusalReason.DUPLICATE: _l("The same loss was already claimed"),
    RefusalReason.NOT_CORRECTED: _l("The application was not corrected by the deadline the township set"),
    RefusalReason.OTHER: _l("Other reason (see the explanation)"),
}


class CorrectionItem(enum.StrEnum):
    PHOTOS = "photos"
    ID_NUMBER = "id_number"
    BANK_ACCOUNT = "bank_account"
    PLACE = "place"
    DATES = "dates"
    SPECIES = "species"
    LOSSES = "losses"
    DESCRIPTION = "description"
    MEDICAL_RECORDS = "medical_records"
    OTHER = "other"

    @property
    def title(self) -> str:
        return str(_CORRECTION_TITLES[self])


_CORRECTION_TITLES = {
    CorrectionItem.PHOTOS: _l("Clearer or more photos of the damage"),
    CorrectionItem.ID_NUMBER: _l("The resident ID number"),
    CorrectionItem.BANK_ACCOUNT: _l("The bank and account number"),
    CorrectionItem.PLACE: _l("The place of the damage"),
    CorrectionItem.DATES: _l("The dates"),
    CorrectionItem.SPECIES: _l("Which animal did it"),
    CorrectionItem.LOSSES: _l("The list of losses and quantities"),
    CorrectionItem.DESCRIPTION: _l("What happened"),
    CorrectionItem.MEDICAL_RECORDS: _l("Hospital records and receipts"),
    CorrectionItem.OTHER: _l("Other (see the note)"),
}
