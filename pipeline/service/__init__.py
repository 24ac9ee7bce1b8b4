"""The intake service (`hudang watch`): watch the intake folder, claim settled files, file them."""
