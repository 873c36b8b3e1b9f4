"""The database: engine, transactions, migrations, tables and the hot-path SQL."""
