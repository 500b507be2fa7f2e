// What js/demo_drag_watch.js recorded.
(demo) => demo.__gamlDrag
