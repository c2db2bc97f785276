"""The LLM brain: any OpenAI-compatible chat-completions endpoint with tool calling and streaming."""
