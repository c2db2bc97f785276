"""The LLM brain: any OpenAI-compatible chat-completions endpoint with tool calling and streaming."""

from receptionist.brain.llm.brain import LLMBrain

__all__ = ["LLMBrain"]
