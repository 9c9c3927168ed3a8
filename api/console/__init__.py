"""The web console: static HTML, ES modules and CSS served at /console, no build step."""
