"""The demo: a living site on first run (docs/demo.md).

`plan` describes the simulated world (services, history, past and live outages),
`seed` stores its history and replays it through the real pipeline, `feeder`
posts its live reports to the running site over HTTP, and `narration` tells the
newcomer in the terminal what to look at and what the detector is doing.
"""
