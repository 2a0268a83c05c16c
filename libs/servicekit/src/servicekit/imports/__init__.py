"""Spreadsheet imports as asynchronous jobs, for any service that imports rows (`reading`, `jobs`,
`worker`; the tables' frozen migration steps in `migrations`). See `worker` for the rules."""
