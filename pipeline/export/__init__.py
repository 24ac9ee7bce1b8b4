"""Handing a household's file out (调档、出证、移交): the items to bind, the bag, the history of exports."""
