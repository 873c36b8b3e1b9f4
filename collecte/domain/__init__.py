"""The rules of the programme: vocabulary, lifecycle, access, tags, device input, impact. Pure."""
