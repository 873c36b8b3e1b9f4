"""HTTP controllers: parse, call one service function, return."""
