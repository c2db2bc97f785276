"""Audio in and out of a call: codecs, resampling and transport wire formats.

Modules here are pure (no network, no pipeline): ``mulaw`` (G.711 µ-law), ``resample`` (rate
conversion) and ``twilio`` (Media Streams messages, TwiML, webhook signatures).
"""
