"""Customer import and export: one set of flat columns (`columns`), the import's row applier (`rows`)."""
