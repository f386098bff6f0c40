"""A static preview of every dashboard, alert and subscription, without a Metabase.

`experiment-analytics preview` (`make preview`) reads the same specs and compiled card SQL the
publisher pushes, runs each card on the warehouse with filter values substituted by the
project's one implementation of Metabase's substitution (`experiment_analytics.native_query`),
and writes self-contained HTML pages (charts as Vega-Lite rendered offline to SVG) plus one
PNG per dashboard. Modules: `cards` (specs -> query results), `formatting` (Metabase's column
formatting), `charts` (Vega-Lite per display type), `schedules` (cron and schedules in words),
`pages` (HTML), `browser` (headless Chromium), `build` (the run), `cli`.
"""
