"""The pages, one module per page group: each view checks access, calls one app function, renders."""
