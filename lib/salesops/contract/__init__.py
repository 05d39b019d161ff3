"""The data contract: the canonical tables, their validation, CRM presets and column/value mapping,
derived columns, personal data, and which analyses each table enables."""
