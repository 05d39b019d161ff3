"""Step 3, supply: sales capacity with ramp and attrition, hiring, supporting roles, hardware inventory,
and the supply plan against demand."""
