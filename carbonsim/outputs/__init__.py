"""What users see: the run folder (CSV, Parquet, manifest), plots, the HTML report, the
side-by-side comparison and the terminal display."""
