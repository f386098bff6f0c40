"""What the Metabase alerts need besides their SQL (analyses/metabase/alerts/): the simulation that
measures the low-acceptance alert's false-alarm rate and detection delay."""
