"""The manager's exception queue: business problems found in accepted facts, with resolve actions."""
