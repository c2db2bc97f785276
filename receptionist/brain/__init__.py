"""The brain: turns what the caller said into what the receptionist says, acting on the call through tools."""
