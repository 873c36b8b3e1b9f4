"""The label stocks shipped with collecte, one TOML file each; installed as `collecte.stocks`."""
