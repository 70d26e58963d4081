// A third-party SMSC for interop tests: the npm package `smpp` (node-smpp) as a server.
// Accepts any bind_transceiver, answers submit_sm with a message id, then sends a standard
// SMPP 3.4 Appendix B receipt (stat:DELIVRD) as deliver_sm with esm_class 0x04.
// Usage: node npm-smsc.mjs [port]   (port 0 or none: pick one). Prints "listening <port>".
import smpp from 'smpp';

const port = Number(process.argv[2] ?? 0);
let nextId = 0x10000;
const date = () => new Date().toISOString().replace(/\D/g, '').slice(2, 12); // YYMMDDhhmm

const server = smpp.createServer({}, (session) => {
  session.socket.setNoDelay(true); // as Ferry does: no Nagle delay on request/response traffic
  session.on('error', () => {}); // the client may drop us at any time
  session.on('bind_transceiver', (pdu) => session.send(pdu.response()));
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('unbind', (pdu) => {
    session.send(pdu.response());
    session.close();
  });
  session.on('submit_sm', (pdu) => {
    const id = (nextId++).toString(16).toUpperCase();
    session.send(pdu.response({ message_id: id }));
    const when = date();
    session.deliver_sm({
      source_addr: pdu.destination_addr,
      destination_addr: pdu.source_addr,
      esm_class: 0x04,
      short_message:
        `id:${id} sub:001 dlvrd:001 submit date:${when} done date:${when} stat:DELIVRD err:000 text:`,
    });
  });
});

server.listen(port, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
