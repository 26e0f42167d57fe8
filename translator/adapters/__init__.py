"""Network layer: protocol adapters turning what arrives into ``Envelope``s, and back."""
