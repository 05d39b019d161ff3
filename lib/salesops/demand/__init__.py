"""Step 2, demand: statistical forecasts of bookings and the demand plan (pipeline and lead methods,
scenarios, and what the demand takes in deals, leads, hours and hardware)."""
