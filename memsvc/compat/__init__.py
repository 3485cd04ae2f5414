"""Drop-in APIs of other memory libraries over memsvc's SDK (`memsvc.compat.mem0`)."""
