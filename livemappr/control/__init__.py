"""Control surfaces: OSC, MIDI and the one trigger path they share.

Runs on: control threads (the OSC server thread, the MIDI poller, the
trigger's stepper and the feedback thread); never on the audio thread.
"""
