"""Side effects, one module per stage; backends live beside them behind small protocols."""
