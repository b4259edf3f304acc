// Reads a secret from stdin: a prompt without echo on a terminal, the first line otherwise
// (so `echo pw | passerelle-gateway hash-password` and password files both work).

export async function readSecret(prompt: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    let text = '';
    for await (const chunk of input as AsyncIterable<Buffer>) {
      text += chunk.toString('utf8');
      if (text.includes('\n')) break;
    }
    return text.split(/\r?\n/)[0] ?? '';
  }
  process.stderr.write(prompt);
  input.setRawMode(true);
  return new Promise((resolve) => {
    let secret = '';
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          input.setRawMode(false);
          input.off('data', onData);
          input.pause();
          process.stderr.write('\n');
          resolve(secret);
          return;
        }
        if (char === '\u0003') process.exit(130);
        if (char === '\u007f') secret = secret.slice(0, -1);
        else secret += char;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}
