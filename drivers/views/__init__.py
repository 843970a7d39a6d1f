"""The driver portal's pages (`portal`, `finder`) and the back office's pages about drivers
(`backoffice`)."""
