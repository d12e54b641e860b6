// The live chart component (ui/live_chart.py): the first call creates the chart, later calls hand the
// newest figure to Plotly.react. Figures that arrive while plotly.js is still loading collapse to the latest.
export default function (component) {
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
  let chart = parentElement.querySelector(".dropviz-live-chart");
  if (!chart) {
    chart = document.createElement("div");
    chart.className = "dropviz-live-chart";
    parentElement.appendChild(chart);
  }
  chart.__pending = data;
  loading.then((Plotly) => {
    const latest = chart.__pending;
    chart.__pending = null;
    // An unchanged figure (the pre-Train pictures in the Train click's frame, the mask illustration
    // between samples) is not parsed or diffed again.
    if (!latest || latest.figure === chart.__drawn) return;
    chart.__drawn = latest.figure;
    const figure = JSON.parse(latest.figure);
    return Plotly.react(chart, { data: figure.data || [], layout: figure.layout || {},
                                 frames: figure.frames || [], config: latest.config });
  }).catch((error) => {
    chart.textContent = String(error);
    console.error(error);
  });
  return () => { if (window.Plotly) window.Plotly.purge(chart); };
}
