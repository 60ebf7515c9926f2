#!/usr/bin/env python3
"""Reads a MIDI file with PyPI's mido (an independent reader) and prints what it holds as JSON:
the file type, ticks per beat, tempos, track names, every note as [pitch, start tick, end tick,
velocity, channel], and mido's length in seconds. The MIDI tests check rawspeech's files with it:
    $(tools/reference-env mido) tools/midi-notes.py FILE.mid
"""
import json
import sys

import mido

midi = mido.MidiFile(sys.argv[1])
notes, tempos, names, sounding = [], [], [], {}
for track in midi.tracks:
    tick = 0
    for message in track:
        tick += message.time
        if message.type == "set_tempo":
            tempos.append(message.tempo)
        elif message.type == "track_name":
            names.append(message.name)
        elif message.type == "note_on" and message.velocity > 0:
            sounding[(message.channel, message.note)] = (tick, message.velocity)
        elif message.type in ("note_off", "note_on"):
            start, velocity = sounding.pop((message.channel, message.note))
            notes.append([message.note, start, tick, velocity, message.channel])
notes.sort(key=lambda n: (n[1], n[0]))
print(json.dumps({"type": midi.type, "ticks_per_beat": midi.ticks_per_beat, "tempos": tempos,
                  "names": names, "notes": notes, "unclosed": len(sounding), "seconds": midi.length}))
