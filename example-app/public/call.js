/*
 * The call page: two RTCPeerConnections in one page, the offer and answer sent through the
 * server's signalling route (webrtcBandwidth()), and the sender's outgoing video bitrate
 * from getStats() charted against the plan. `window.call` exposes the call for tests.
 */
(function () {
  'use strict';

  const $ = function (id) { return document.getElementById(id); };
  const chart = new window.BandwidthChart($('chart'), { windowMs: 60000 });
  const formatRate = window.formatRate;
  const SAMPLE_MS = 1000;
  let call = null;

  function signalUrl() {
    const url = new URL($('route').value, window.location.origin);
    const kbps = $('mybandwidth').value.trim();
    if (kbps !== '') url.searchParams.set('mybandwidth', kbps);
    return url.pathname + url.search;
  }

  /** POST a description to the signalling route; it comes back with the plan written in. */
  async function signal(url, description) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: description.type, sdp: description.sdp }),
    });
    if (!res.ok) throw new Error(url + ': ' + res.status + ' ' + (await res.text()));
    return res.json();
  }

  function hangup() {
    if (!call) return;
    window.clearInterval(call.timer);
    call.stream.getTracks().forEach(function (t) { t.stop(); });
    if (call.back) call.back.getTracks().forEach(function (t) { t.stop(); });
    call.sender.close();
    call.receiver.close();
    call = null;
    window.call = null;
    $('status').textContent = 'idle';
  }

  function trickle(from, to) {
    const held = [];
    from.addEventListener('icecandidate', function (e) {
      if (!e.candidate) return;
      if (to.remoteDescription) to.addIceCandidate(e.candidate);
      else held.push(e.candidate);
    });
    to.addEventListener('signalingstatechange', function () {
      while (to.remoteDescription && held.length > 0) to.addIceCandidate(held.shift());
    });
  }

  async function start() {
    hangup();
    $('status').textContent = 'starting…';
    const url = signalUrl();
    const constraints = { audio: true, video: { width: 640, height: 480, frameRate: 30 } };
    const stream = await window.navigator.mediaDevices.getUserMedia(constraints);
    // Both directions: the receiver sends a camera back, held by the offer's b= lines.
    const back = $('both').checked ? await window.navigator.mediaDevices.getUserMedia(constraints) : null;
    const sender = new window.RTCPeerConnection();
    const receiver = new window.RTCPeerConnection();
    // Candidates arrive while a description is still on its way through the server: each
    // side keeps them until the other has its remote description.
    trickle(sender, receiver);
    trickle(receiver, sender);
    receiver.addEventListener('track', function (e) { $('remote').srcObject = e.streams[0]; });
    $('local').srcObject = stream;
    stream.getTracks().forEach(function (t) { sender.addTrack(t, stream); });

    const offer = await sender.createOffer();
    await sender.setLocalDescription(offer);
    const sentOffer = await signal(url, offer);
    const via = $('via').value;
    // By SDP, each side takes the other's description as the route returned it. By
    // setParameters, the descriptions as the browsers wrote them, and the route's maxBitrate
    // values on each sender's encodings.
    await receiver.setRemoteDescription(via === 'parameters' ? offer : { type: sentOffer.type, sdp: sentOffer.sdp });
    if (back) back.getTracks().forEach(function (t) { receiver.addTrack(t, back); });
    const answer = await receiver.createAnswer();
    await receiver.setLocalDescription(answer);
    // The answer's b= lines are what limit the sender: they describe what the receiver takes.
    const sentAnswer = await signal(url, answer);
    const plan = sentAnswer.bandwidth;
    await sender.setRemoteDescription(via === 'parameters' ? answer : { type: sentAnswer.type, sdp: sentAnswer.sdp });
    if (via === 'parameters') {
      await applyParameters(sender, plan);
      if (back) await applyParameters(receiver, sentOffer.bandwidth);
    }

    const video = plan && plan.sections.find(function (s) { return s.kind === 'video'; });
    call = {
      url: url,
      via: via,
      sender: sender,
      receiver: receiver,
      stream: stream,
      back: back,
      offer: offer.sdp,
      answer: answer.sdp,
      sentOffer: sentOffer.sdp,
      sentAnswer: sentAnswer.sdp,
      plan: plan,
      videoPlan: video ? video.maxBitrate : null,
      samples: [],
      timer: 0,
    };
    window.call = call;
    $('lines').textContent = sentAnswer.sdp.split(/\r?\n/).filter(function (l) { return /^(m|b)=/.test(l); }).join('\n');
    $('parameters').textContent = plan
      ? ['bandwidth.maxBitrate: ' + plan.maxBitrate].concat(plan.sections.map(function (s) { return JSON.stringify(s); })).join('\n')
      : 'bandwidth: null (no plan: the SDP is as the browser wrote it)';
    $('status').textContent = (plan ? 'plan ' + formatRate(plan.maxBitrate / 8) : 'no plan: not limited') + ' via ' + url;
    call.timer = window.setInterval(sample.bind(null, call), SAMPLE_MS);
  }

  /** Set each section's maxBitrate on the sender of that mid (RTCRtpSender.setParameters). */
  async function applyParameters(pc, plan) {
    if (!plan) return;
    const transceivers = pc.getTransceivers();
    for (const section of plan.sections) {
      const t = transceivers.find(function (x) { return x.mid === section.mid; });
      if (!t) continue;
      const params = t.sender.getParameters();
      if (!params.encodings || params.encodings.length === 0) continue;
      params.encodings.forEach(function (e, i) {
        const given = section.encodings[i];
        e.maxBitrate = given ? given.maxBitrate : Math.floor(section.maxBitrate / params.encodings.length);
      });
      await t.sender.setParameters(params);
    }
  }

  async function videoBytesSent(pc) {
    let bytes = 0;
    (await pc.getStats()).forEach(function (s) { if (s.type === 'outbound-rtp' && s.kind === 'video') bytes += s.bytesSent; });
    return bytes;
  }

  /** One getStats() sample of the sender's video: payload and header bytes, and when. */
  async function sample(c) {
    const report = await c.sender.getStats();
    let bytes = 0;
    let headers = 0;
    let t = 0;
    const extra = {};
    report.forEach(function (s) {
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        bytes += s.bytesSent;
        headers += s.headerBytesSent || 0;
        t = s.timestamp;
        // Why the encoder sends what it sends: its target, and what limits its quality.
        extra.targetBitrate = s.targetBitrate;
        extra.limitation = s.qualityLimitationReason;
        extra.width = s.frameWidth;
        extra.fps = s.framesPerSecond;
      } else if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate) {
        extra.available = s.availableOutgoingBitrate;
      }
    });
    if (c.back) extra.backBytesSent = await videoBytesSent(c.receiver);
    if (t === 0 || c !== call) return;
    c.samples.push(Object.assign({ t: t, bytesSent: bytes, headerBytesSent: headers }, extra));
    draw(c);
  }

  function draw(c) {
    const n = c.samples.length;
    if (n < 2) return;
    // Over the last three samples: one second alone swings with keyframes.
    const a = c.samples[Math.max(0, n - 4)];
    const b = c.samples[n - 1];
    const rate = (b.bytesSent - a.bytesSent) * 1000 / (b.t - a.t);
    const now = Date.now();
    chart.push('vhost:sent', now, rate, { label: 'plan (video)', cap: c.videoPlan ? c.videoPlan / 8 : 0, width: 3 });
    const legend = $('legend');
    legend.textContent = '';
    const li = document.createElement('li');
    li.className = 'vhost';
    li.dataset.series = 'vhost:sent';
    li.dataset.bps = String(Math.round(rate));
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = chart.colour('vhost:sent');
    const text = document.createElement('span');
    text.textContent = 'outgoing video: ' + formatRate(rate) + (c.videoPlan ? ' (plan ' + formatRate(c.videoPlan / 8) + ')' : ' (no plan)');
    li.appendChild(swatch);
    li.appendChild(text);
    legend.appendChild(li);
  }

  function frame() {
    chart.draw(Date.now());
    window.requestAnimationFrame(frame);
  }
  window.requestAnimationFrame(frame);

  $('settings').addEventListener('submit', function (event) {
    event.preventDefault();
    start().catch(function (err) {
      $('status').textContent = 'failed: ' + err.message;
      window.callError = err.message;
    });
  });
  $('hangup').addEventListener('click', hangup);
})();
