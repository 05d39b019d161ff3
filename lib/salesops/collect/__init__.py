"""Step 1, collect: KPIs, ideal customer profile, lead scoring, top and bottom performers, data quality,
rep forecast accuracy and last quarter's plan against what happened."""
