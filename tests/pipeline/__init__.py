"""One call's stages: keys, staged faults over HTTP, the journal, thumbnails, render-ahead."""
