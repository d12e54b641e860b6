// The live chart component (ui/live_chart.py). Two kinds share it:
// - "chart": the first call creates the chart, later calls hand the newest figure to Plotly.react.
//   Figures that arrive while plotly.js is still loading collapse to the latest. With a `stream`, the
//   curves also grow between the server's redraws from the points the live route pushes (extendTraces).
// - "progress": the progress line, rewritten in place from each answer of the live route (no plotly.js
//   needed), which asks for a fragment rerun when the run's state changes or (on a quiet server) its
//   first point arrives.
// Both listen to one event stream per session token (ui/live_stream.py), so a page holds one connection.
// - "html": a text that names the shown sweep member (captions, the metrics table).
// With a `board` (an ended p sweep, ui/member_board.py), charts and texts fetch every member's
// version once and redraw from it the moment the scrub slider moves, without waiting for Streamlit.

// One server-sent event stream per session token (ui/live_stream.py events_route), shared by the page's
// progress line and curves. It is open while a run trains and the tab is shown; the browser reconnects
// a dropped one by itself, resuming after the last event's step. `recent` keeps the points received,
// so that a chart redrawn from an older figure gets the newer ones back.
const RECENT_POINTS = 2000;
// A run in one of these trains or is about to (dropviz/run_state.py ACTIVE_STATES): its page listens.
const ACTIVE_STATES = ["queued", "starting", "running"];
// Each extend redraws the whole curves chart: after one of d ms the next waits until twice d has passed and
// takes every point received meanwhile, so that a starved page still draws the rest of itself. A quick page
// redraws in far less than the time between answers and is never held back.
const REDRAW_SPACING = 2;

function feedFor(url) {
  const feeds = window.__dropvizLive || (window.__dropvizLive = {});
  let f = feeds[url];
  if (!f) {
    f = feeds[url] = { url, subs: new Map(), source: null, stopped: false, run: null, since: -1, recent: [],
                       answers: 0 };
    f.open = () => {
      if (f.source || f.stopped || f.subs.size === 0 || document.hidden) return;
      const query = "?since=" + f.since + (f.run ? "&run=" + encodeURIComponent(f.run) : "");
      const source = f.source = new EventSource(f.url + "/events" + query);
      source.onmessage = (event) => {
        const answer = JSON.parse(event.data);
        f.answers += 1;
        if (answer.run !== f.run) { f.run = answer.run; f.recent = []; }
        (answer.steps || []).forEach((step, i) => f.recent.push({ step, x: answer.x[i], row: answer.y[i] }));
        if (f.recent.length > RECENT_POINTS) f.recent.splice(0, f.recent.length - RECENT_POINTS);
        f.since = Math.max(f.since, answer.last_step);
        for (const callback of [...f.subs.values()]) callback(answer);
        // Paused or ended: the page's next rerun (which this answer asks for) says whether to listen again.
        if (!ACTIVE_STATES.includes(answer.state)) f.close();
      };
      // The session was released: nothing more will come (a 404 also closes the stream for good).
      source.addEventListener("gone", () => { f.stopped = true; f.close(); });
      // Refused (an unknown session): not asked again until the page draws a run anew.
      source.onerror = () => {
        if (source.readyState === EventSource.CLOSED && f.source === source) { f.source = null; f.stopped = true; }
      };
    };
    f.close = () => { if (f.source) { f.source.close(); f.source = null; } };
    // A tab in the background (a student on another page) gets nothing until it is shown again.
    document.addEventListener("visibilitychange", () => (document.hidden ? f.close() : f.open()));
  }
  return f;
}

// An element's clean-up removes its own listener only: the page's rerun (a reconnect, a remount) may
// already have put the new element's listener under the same key, and the old clean-up can come after it.
function unsubscribe(f, key, listener) {
  if (f.subs.get(key) === listener) f.subs.delete(key);
  if (f.subs.size === 0) f.close();
}

function streamFor(stream) {
  const f = feedFor(new URL(stream.url, document.baseURI).href);
  // A figure or progress line of another run than the feed follows: follow that run from the server's point.
  if (stream.run !== f.run) {
    f.run = stream.run;
    f.since = stream.since;
    f.recent = [];
  }
  f.stopped = false;
  return f;
}

function progress(component) {
  const { parentElement, data, setTriggerValue } = component;
  let root = parentElement.querySelector(".dropviz-progress");
  if (!root) {
    root = document.createElement("div");
    root.className = "dropviz-progress";
    root.setAttribute("role", "progressbar");
    root.innerHTML = '<p class="dropviz-progress-text" style="margin:0 0 0.25rem 0;font-size:0.875rem"></p>' +
      '<div style="height:0.5rem;border-radius:0.25rem;background:rgba(151,166,195,0.25);overflow:hidden">' +
      '<div class="dropviz-progress-fill" style="height:100%;background:#ff4b4b;width:0"></div></div>' +
      '<p class="dropviz-progress-queued" style="margin:0.25rem 0 0 0;font-size:0.875rem"></p>';
    root.__counts = { runs: 0, polled: 0 };  // fragment runs drawn, lines from the live route (tests, benchmark)
    parentElement.appendChild(root);
  }
  root.__counts.runs += 1;
  const run = data.stream ? data.stream.run : null;
  const show = (text, fraction, queued, polled, step, state) => {
    // The fragment's line is of a snapshot taken before its views were built: never step back
    // from a newer polled one of the same run (a change of state is always shown).
    const shown = root.__shown;
    if (shown && shown.run === run && shown.state === state && step < shown.step) return;
    root.__shown = { run, state, step };
    const line = root.querySelector(".dropviz-progress-text");
    if (line.textContent !== text) {
      line.textContent = text;
      if (polled) root.__counts.polled += 1;
    }
    root.querySelector(".dropviz-progress-fill").style.width = (100 * Math.max(0, Math.min(1, fraction))) + "%";
    root.setAttribute("aria-valuenow", String(Math.round(100 * fraction)));
    const waiting = root.querySelector(".dropviz-progress-queued");
    if (waiting.textContent !== (queued || "")) waiting.textContent = queued || "";
  };
  show(data.text, data.fraction, "", false, data.step, data.state);
  root.__drawn = { state: data.state, run: data.stream ? data.stream.run : null, points: data.stream ? data.stream.points : 0 };
  if (!data.stream || !ACTIVE_STATES.includes(data.state)) return;
  const f = streamFor(data.stream);
  const key = "progress:" + data.stream.url;
  const listener = (answer) => {
    if (answer.run !== root.__drawn.run) return;
    if (answer.text) show(answer.text, answer.fraction, answer.queued_text, true, answer.step, answer.state);
    // What only the server draws changed: the run ended or paused, or its first point arrived.
    const stateChanged = answer.state !== root.__drawn.state && !(answer.state === "running" && root.__drawn.state === "starting");
    const firstPoint = data.stream.first_point_views !== false && root.__drawn.points === 0 && answer.evaluations > 0;
    if ((stateChanged || firstPoint) && !root.__asked) {
      root.__asked = true;
      setTriggerValue("refresh", answer.state + ":" + answer.evaluations);
    }
  };
  f.subs.set(key, listener);
  root.__asked = false;
  f.open();
  return () => unsubscribe(f, key, listener);
}

const TYPED = { f4: Float32Array, f8: Float64Array, i1: Int8Array, u1: Uint8Array, i2: Int16Array,
                u2: Uint16Array, i4: Int32Array, u4: Uint32Array };

// plotly.py sends numpy arrays as {dtype, bdata} (base64); Plotly.extendTraces can only grow real arrays.
function plainArrays(traces, indices) {
  for (const index of indices) {
    const trace = traces[index];
    if (!trace) continue;
    for (const name of ["x", "y"]) {
      const spec = trace[name];
      if (spec && typeof spec.bdata === "string" && TYPED[spec.dtype]) {
        const bytes = Uint8Array.from(atob(spec.bdata), (c) => c.charCodeAt(0));
        trace[name] = Array.from(new TYPED[spec.dtype](bytes.buffer));
      }
    }
  }
}

function boardFor(spec) {
  const boards = window.__dropvizBoards || (window.__dropvizBoards = new Map());
  const url = new URL(spec.url, document.baseURI).href;
  let entry = boards.get(url);
  if (!entry) {
    entry = { members: null };
    boards.set(url, entry);
    // The server builds the board off its page thread (a big net's members take a while): until it is
    // there, ask again, less and less often, for up to ten minutes (the page meanwhile draws what
    // Streamlit sends, and a board of a sweep since replaced is never there).
    const started = Date.now();
    const load = async (delay) => {
      try {
        const response = await fetch(url);
        if (response.ok) {
          entry.members = await response.json();
          window.dispatchEvent(new Event("dropviz-scrub"));
          return;
        }
      } catch (error) { /* the server is busy or restarting: try again */ }
      if (Date.now() - started < 600000) setTimeout(() => load(Math.min(5000, delay * 1.5)), delay);
    };
    load(300);
  }
  return entry;
}

// The member the scrub slider shows now, as its thumb says it ("0.4"): the thumb moves on the key
// press or the drag, before Streamlit sends the value to the server.
function scrubbed(spec) {
  const input = document.querySelector(`.st-key-${spec.slider} input[type='range']`);
  return input ? input.getAttribute("aria-valuetext") : null;
}

function watchScrub(spec) {
  if (window.__dropvizScrubWatch) return;
  const selector = `.st-key-${spec.slider}`;
  window.__dropvizScrubWatch = new MutationObserver((records) => {
    if (records.some((record) => record.target.closest && record.target.closest(selector))) {
      window.dispatchEvent(new Event("dropviz-scrub"));
    }
  });
  window.__dropvizScrubWatch.observe(document.body, { subtree: true, attributes: true, attributeFilter: ["aria-valuetext"] });
}

// What an element shows: the scrubbed member's part from the board once fetched, else what the server sent.
function current(data, fallback) {
  if (data.board) {
    const members = boardFor(data.board).members;
    const member = members && members[scrubbed(data.board)];
    if (member && member[data.part] !== undefined) return member[data.part];
  }
  return fallback;
}

function follow(element, redraw) {
  if (element.__follow) return;
  element.__follow = redraw;
  window.addEventListener("dropviz-scrub", redraw);
}

function unfollow(element) {
  if (element.__follow) window.removeEventListener("dropviz-scrub", element.__follow);
  element.__follow = null;
}

function htmlPart(component) {
  const { parentElement, data } = component;
  let root = parentElement.querySelector(".dropviz-html");
  if (!root) {
    root = document.createElement("div");
    root.className = "dropviz-html";
    parentElement.appendChild(root);
  }
  root.__data = data;
  const draw = () => {
    const text = current(root.__data, root.__data.html) || "";
    if (text !== root.__drawn) {
      root.__drawn = text;
      root.innerHTML = text;  // built and escaped by the server (ui/member_board.py)
    }
  };
  if (data.board) {
    watchScrub(data.board);
    follow(root, draw);
  }
  draw();
  return () => unfollow(root);
}

// The first redraw of a chart with points runs plotly.js's code cold, which on a starved renderer (a slow
// laptop, a class on one machine) delays a run's first point (docs/classroom.md, session 12). Once per
// page, while the user reads it, a copy of the live curves off screen takes a few points and is thrown away.
const REHEARSAL_POINTS = 3;

function rehearse(element, config) {
  if (window.__dropvizRehearsal || !window.Plotly || !element.data) return;
  const rehearsal = window.__dropvizRehearsal = { done: false, ms: null };  // read by the e2e test
  const Plotly = window.Plotly;
  const whenIdle = window.requestIdleCallback || ((callback) => setTimeout(callback, 500));
  whenIdle(async () => {
    if (element.__counts.extends > 0) { rehearsal.done = true; return; }
    const started = performance.now();
    const stage = document.createElement("div");
    stage.className = "dropviz-rehearsal";
    stage.setAttribute("aria-hidden", "true");
    stage.style.cssText = `position:fixed;left:-10000px;top:0;width:${element.clientWidth || 800}px;pointer-events:none`;
    document.body.appendChild(stage);
    try {
      const data = element.data.map((trace) => ({ ...trace, x: [], y: [] }));
      await Plotly.newPlot(stage, data, JSON.parse(JSON.stringify(element.layout || {})), config);
      const traces = data.map((_, index) => index);
      for (let point = 1; point <= REHEARSAL_POINTS; point++) {
        await Plotly.extendTraces(stage, { x: traces.map(() => [point / 10]), y: traces.map(() => [0.5]) }, traces);
      }
    } catch (error) {
      console.warn("live curves: rehearsal failed", error);  // only the first point's speed depends on it
    } finally {
      Plotly.purge(stage);
      stage.remove();
      rehearsal.ms = Math.round(performance.now() - started);
      rehearsal.done = true;
    }
  }, { timeout: 3000 });
}

function chart(component) {
  const { parentElement, data } = component;
  const src = new URL(data.src, document.baseURI).href;
  const loading = window.__dropvizPlotly || (window.__dropvizPlotly = new Promise((resolve, reject) => {
    if (window.Plotly) { resolve(window.Plotly); return; }
    const script = document.createElement("script");
    script.src = src;
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => reject(new Error("plotly.js could not be loaded from " + src));
    document.head.appendChild(script);
  }));
  let element = parentElement.querySelector(".dropviz-live-chart");
  if (!element) {
    element = document.createElement("div");
    element.className = "dropviz-live-chart";
    // Read by the e2e tests and the benchmark.
    element.__counts = { reacts: 0, extends: 0, points: 0, received: 0, answers: 0, deferred: 0 };
    parentElement.appendChild(element);
  }
  // An unchanged figure (the pre-Train pictures in the Train click's frame, the mask illustration
  // between samples, a sweep member already shown) is not parsed or diffed again.
  const redraw = (Plotly, latest) => {
    const text = current(latest, latest.figure);
    if (!text || text === element.__drawn) {
      // The same figure (the pre-Train curves in the Train rerun): the points pushed into it stay, and a
      // chart that has taken no run yet now follows the one the server names.
      if (latest.stream && (!element.__step || element.__step.run === null)) {
        element.__step = { run: latest.stream.run, step: Math.max(latest.stream.since, element.__step ? element.__step.step : -1) };
      }
      return;
    }
    element.__drawn = text;
    // The newest step the chart holds: the figure's own, then each point appended (run null: an empty
    // chart before Train, which takes the first run that trains).
    element.__step = latest.stream ? { run: latest.stream.run, step: latest.stream.since } : null;
    element.__figureSince = latest.stream ? latest.stream.since : null;  // the e2e test's reference
    if (latest.board && text !== latest.figure) element.__counts.boardDraws = (element.__counts.boardDraws || 0) + 1;
    const figure = JSON.parse(text);
    if (latest.stream) plainArrays(figure.data || [], latest.stream.traces);
    element.__counts.reacts += 1;
    element.__counts.reacted = figure.data && figure.data[0] && figure.data[0].x ? figure.data[0].x.length : 0;
    const reacted = Plotly.react(element, { data: figure.data || [], layout: figure.layout || {},
                                            frames: figure.frames || [], config: latest.config });
    if (!element.__counts.plottedAt && element.__counts.reacted > 0) element.__counts.plottedAt = Date.now();
    return reacted;
  };
  element.__pending = data;
  element.__data = data;
  const drawn = loading.then((Plotly) => {
    const latest = element.__pending;
    element.__pending = null;
    if (latest) return redraw(Plotly, latest);
  }).catch((error) => {
    element.textContent = String(error);
    console.error(error);
  });
  if (data.board) {
    watchScrub(data.board);
    follow(element, () => { if (window.Plotly) redraw(window.Plotly, element.__data); });
  }
  if (!data.stream) return () => { unfollow(element); if (window.Plotly) window.Plotly.purge(element); };
  if (!window.__dropvizRehearsal) drawn.then(() => rehearse(element, data.config));
  const f = streamFor(data.stream);
  const key = "chart:" + data.stream.url;
  const traces = data.stream.traces;
  const append = (points) => {
    const mark = element.__step;
    const fresh = points.filter((point) => point.step > mark.step);
    if (fresh.length === 0) return;
    mark.step = fresh[fresh.length - 1].step;
    const update = { x: traces.map(() => fresh.map((point) => point.x)),
                     y: traces.map((_, i) => fresh.map((point) => point.row[i])) };
    element.__counts.extends += 1;
    element.__counts.points += fresh.length;
    const started = performance.now();
    const extended = window.Plotly.extendTraces(element, update, traces);
    if (!element.__counts.plottedAt) element.__counts.plottedAt = Date.now();  // the benchmark's first point
    const ended = performance.now();
    element.__nextRedrawAt = ended + REDRAW_SPACING * (ended - started);
    return extended;
  };
  const extendNow = () => drawn.then(() => {
    const mark = element.__step;
    if (!mark || !window.Plotly || !element.data || element.data.length < traces.length) return;
    if (mark.run === null && f.run !== null) mark.run = f.run;  // the first run to train after an empty chart
    if (mark.run !== f.run) return;  // points of another run: this figure is not of it
    return append(f.recent);
  }).catch((error) => console.warn("live curves: points not appended", error));
  // A planned redraw runs the newest figure's extend: this one, unless the server has sent another since.
  element.__extendNow = extendNow;
  const extend = () => {
    if (element.__planned) return;  // the planned redraw takes every point received until then
    const wait = (element.__nextRedrawAt || 0) - performance.now();
    if (wait <= 0) return extendNow();
    element.__counts.deferred += 1;
    element.__planned = setTimeout(() => { element.__planned = null; element.__extendNow(); }, wait);
  };
  const listener = (answer) => {
    const mark = element.__step;
    if (!answer.x || answer.x.length === 0 || (mark && mark.run !== null && answer.run !== mark.run)) return;
    element.__counts.received += answer.x.length;  // arrived, drawn or not (the benchmark's pages without plotly.js)
    element.__counts.answers += 1;
    if (!element.__counts.receivedAt) element.__counts.receivedAt = Date.now();
    extend();
  };
  f.subs.set(key, listener);
  extend();  // what arrived while the server built this figure
  f.open();
  return () => {
    unsubscribe(f, key, listener);
    clearTimeout(element.__planned);
    element.__planned = null;
    if (window.Plotly) window.Plotly.purge(element);
  };
}

export default function (component) {
  const kind = component.data.kind;
  return kind === "progress" ? progress(component) : kind === "html" ? htmlPart(component) : chart(component);
}
