"""Tests of the media room: storage, uploads, probing, transcoding, serving, captions."""
