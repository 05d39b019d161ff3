"""Step 4, align: quotas, territories, lead routing, compensation, the sales-operations organisation,
tools, the dated action list and the align plan."""
