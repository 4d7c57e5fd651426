"""A plugin whose import fails with a message that rich would read as markup."""

raise RuntimeError("config missing: [/etc/x.toml] and [bold]not bold[/bold]")
