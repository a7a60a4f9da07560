"""Reports: figures read from what the other domains record (stage times today; dashboards and exports to come)."""
