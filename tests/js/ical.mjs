// Fetches an iCalendar feed and parses it with ical.js (Mozilla's RFC 5545 parser), printing the
// calendar's properties and events as one JSON line, or the parse error.
// Usage: node ical.mjs URL
import ICAL from 'ical.js';

const res = await fetch(process.argv[2]);
const text = await res.text();
try {
  const calendar = new ICAL.Component(ICAL.parse(text));
  const events = calendar.getAllSubcomponents('vevent').map((c) => {
    const e = new ICAL.Event(c);
    return {
      uid: e.uid,
      summary: e.summary,
      description: e.description,
      location: e.location,
      sequence: e.sequence,
      status: c.getFirstPropertyValue('status'),
      start: e.startDate.toJSDate().toISOString(),
      end: e.endDate.toJSDate().toISOString(),
      categories: c.getAllProperties('categories').flatMap((p) => p.getValues()),
    };
  });
  console.log(JSON.stringify({
    status: res.status,
    contentType: res.headers.get('content-type'),
    name: calendar.getFirstPropertyValue('x-wr-calname'),
    version: calendar.getFirstPropertyValue('version'),
    events,
  }));
} catch (err) {
  console.log(JSON.stringify({ status: res.status, error: String(err) }));
  process.exit(1);
}
