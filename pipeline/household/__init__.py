"""The household file beyond forms: documents (文件), owners and occupants over time, household events, loans."""
