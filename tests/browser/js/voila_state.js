// What the Voilà page is still loading (see voilaState in common.js).
() => voilaState()
