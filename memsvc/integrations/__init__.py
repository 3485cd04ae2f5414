"""Where agents meet memsvc: the MCP server (`memsvc.integrations.mcp_server`, `memsvc mcp`)
and LangGraph's store (`memsvc.integrations.langgraph.MemsvcStore`). Each is a thin adapter
over the SDK (`memsvc.Memory`, `MemoryClient`, `AsyncMemoryClient`), never a second path
into the stores. Their third-party packages are optional extras (`memsvc[mcp]`,
`memsvc[langgraph]`), imported only by the module that needs them."""
