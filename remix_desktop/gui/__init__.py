"""Everything Qt lives here; the domain in remix_desktop.core never imports it."""
