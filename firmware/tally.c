#include "firmware/tally.h"

ScTallyLamps
sc_tally_lamps(const ScTallyState *s)
{
  ScTallyLamps lamps = {SC_TALLY_OFF, SC_TALLY_OFF, SC_TALLY_OFF};
  if (s->live) {
    lamps.red = s->degraded || !s->ready ? SC_TALLY_BLINK : SC_TALLY_ON;
    lamps.amber = s->product_overtime ? SC_TALLY_ON : SC_TALLY_OFF;
  } else if (s->ready) {
    lamps.green = SC_TALLY_ON;
    lamps.amber = s->preshow ? SC_TALLY_ON : SC_TALLY_OFF;
  }
  return lamps;
}

const char *
sc_tally_describe(const ScTallyState *s)
{
  if (s->live)
    return s->degraded || !s->ready ? "on air, degraded" : "on air";
  return s->ready ? "ready" : "not ready";
}
