"""Amounts in Chinese capitals (中文大写金额), as the People's Bank of China's rules for writing them ask.

Following the examples of 《正确填写票据和结算凭证的基本规定》: ¥1,409.50 is 人民币壹仟肆佰零玖元伍角,
¥1,680.32 is 人民币壹仟陆佰捌拾元零叁角贰分, ¥16,409.02 is 人民币壹万陆仟肆佰零玖元零贰分, ¥15.80 is
人民币壹拾伍元捌角 (a leading ten is written 壹拾), and an amount without jiao and fen ends in 元整.
Where the rules allow a 零 or not (a zero yuan digit before a non-zero jiao), we always write it: it
leaves no room to add digits.
"""

from __future__ import annotations

from decimal import Decimal

from claims.core import formatting

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("仟", "佰", "拾", "")
SECTION_UNITS = ("", "万", "亿")
LIMIT = Decimal(10) ** 12  # three sections of four digits: up to 9999亿, far beyond any award


def amount_in_capitals(amount: Decimal) -> str:
    """'人民币壹万贰仟叁佰肆拾伍元陆角柒分' for Decimal('12345.67'); '人民币零元整' for 0.

    Refuses floats, negative amounts, amounts of 10^12 yuan or more, and fractions of a fen: an
    amount must be exact before it is written in words.
    """
    if isinstance(amount, float) or not isinstance(amount, (Decimal, int)):
        raise TypeError("amount must be a Decimal")
    amount = Decimal(amount)
    if not amount.is_finite() or amount < 0 or amount >= LIMIT:
        raise ValueError(f"amount out of range: {amount}")
    fen_total = amount * 100
    if fen_total != fen_total.to_integral_value():
        raise ValueError(f"amount has fractions of a fen: {amount}")
    yuan, cents = divmod(int(fen_total), 100)
    jiao, fen = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return "人民币零元整"
    words = _integer_words(yuan) + "元" if yuan else ""
    if cents == 0:
        return f"人民币{words}整"
    if jiao:
        words += ("零" if yuan and yuan % 10 == 0 else "") + DIGITS[jiao] + "角"
    elif yuan:
        words += "零"
    if fen:
        words += DIGITS[fen] + "分"
    return f"人民币{words}"


def _integer_words(value: int) -> str:
    """1000000 -> 壹佰万, 10010 -> 壹万零壹拾, 100000001 -> 壹亿零壹."""
    sections: list[int] = []
    while value:
        value, section = divmod(value, 10000)
        sections.append(section)
    words = ""
    zero_pending = False
    for index in range(len(sections) - 1, -1, -1):
        section = sections[index]
        if section == 0:
            zero_pending = bool(words)
            continue
        if words and (zero_pending or section < 1000):
            words += "零"
        words += _section_words(section) + SECTION_UNITS[index]
        zero_pending = False
    return words


def _section_words(section: int) -> str:
    """Four digits at most: 1010 -> 壹仟零壹拾, 5 -> 伍, 10 -> 壹拾."""
    words = ""
    zero = False
    for digit, unit in zip(f"{section:04d}", SMALL_UNITS, strict=True):
        if digit == "0":
            zero = bool(words)
            continue
        if zero:
            words += "零"
            zero = False
        words += DIGITS[int(digit)] + unit
    return words


def amount_in_figures(amount: Decimal) -> str:
    """'12,345.67' : the figure printed beside the capitals."""
    return formatting.amount(amount)
