"""SVG charts drawn on the server, with no script: a client's pain scores (pain.py) and the reports' weekly
trends (trend.py). The dashboard and the simulation's report both draw with them."""
