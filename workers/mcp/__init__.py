"""`monolathe mcp`: the factory for AI agents, over the Model Context Protocol.

tools.py registers the tools and resources, each a call into workers/api/service.py (what
the HTTP API's routes call); access.py says who is calling and what they may do;
serve.py runs it over stdio (a desktop agent starts it) or streamable HTTP (remote agents,
with the API's bind and bearer-token rules).
"""
