import { emojiHintsFromBlocks, escapeMrkdwn, markdownToMrkdwn, mentionedUserIds, slackToMarkdown } from '../../../bots/slack/mrkdwn';

const richText = (...elements: object[]) => [{ type: 'rich_text', block_id: 'b1', elements: [{ type: 'rich_text_section', elements }] }];

describe('Slack mrkdwn → desk markdown', () => {
  const names: Record<string, string> = { U0DANA: 'Dana Scully' };
  const convert = (text: string, emoji?: Map<string, string | null>) => slackToMarkdown(text, { userName: (id) => names[id], emoji });

  it('turns links into markdown links, and bare links into URLs', () => {
    expect(convert('see <https://wiki.acme.example/vpn|the VPN page>')).toBe('see [the VPN page](https://wiki.acme.example/vpn)');
    expect(convert('see <https://wiki.acme.example/vpn>')).toBe('see https://wiki.acme.example/vpn');
    expect(convert('<https://acme.example|acme.example>')).toBe('https://acme.example');
    expect(convert('mail <mailto:help@acme.example|help@acme.example>')).toBe('mail help@acme.example');
    // Escapes inside a link belong to the URL and the label.
    expect(convert('<https://x.example/?a=1&amp;b=2|A &amp; B>')).toBe('[A & B](https://x.example/?a=1&b=2)');
  });

  it('resolves user mentions to names, and keeps channels and special mentions readable', () => {
    expect(mentionedUserIds('ask <@U0DANA> and <@W0BOB|bob> and <@U0DANA>')).toEqual(['U0DANA', 'W0BOB']);
    expect(convert('ask <@U0DANA>')).toBe('ask @Dana Scully');
    expect(convert('ask <@W0BOB|bob>')).toBe('ask @bob');
    expect(convert('ask <@U0NOBODY>')).toBe('ask @U0NOBODY');
    expect(convert('in <#C0IT|it-help> <!here> <!subteam^S01|@oncall>')).toBe('in #it-help @here @oncall');
  });

  it('unescapes &amp; &lt; &gt; once, and only those', () => {
    expect(convert('a &lt;b&gt; &amp; c &amp;lt;')).toBe('a <b> & c &lt;');
  });

  it('converts bold and strike, leaves italics, and leaves code alone', () => {
    expect(convert('this is *urgent* now')).toBe('this is **urgent** now');
    expect(convert('*whole line bold*')).toBe('**whole line bold**');
    expect(convert('_italic_ ~old~')).toBe('_italic_ ~~old~~');
    expect(convert('2*3*4 and a * b')).toBe('2*3*4 and a * b');
    expect(convert('`*not bold* &lt;x&gt; :wave:` ```\nconst a = 1 &lt; 2; // *x*\n```')).toBe(
      '`*not bold* <x> :wave:` ```\nconst a = 1 < 2; // *x*\n```',
    );
    expect(convert('*see <https://x.example|docs>*')).toBe('**see [docs](https://x.example)**');
  });

  it('turns standard emoji codes into characters and drops custom ones (table fallback)', () => {
    expect(convert('hi :wave: :acme-logo: ok')).toBe('hi 👋 ok');
    expect(convert(':+1::skin-tone-3: :tada:')).toBe('👍🏼 🎉');
    expect(convert('only :acme-logo:')).toBe('only');
    // Not emoji: times and words around colons.
    expect(convert('at 10:30:00 see a:b:c')).toBe('at 10:30:00 see a:b:c');
  });

  it("trusts the message's rich_text blocks over the table", () => {
    const hints = emojiHintsFromBlocks(
      richText(
        { type: 'emoji', name: 'thinking_face', unicode: '1f914' },
        { type: 'emoji', name: 'acme-logo' },
        { type: 'emoji', name: '+1', unicode: '1f44d-1f3fd', skin_tone: 4 },
        { type: 'emoji', name: 'party-parrot', url: 'https://emoji.slack-edge.com/T1/party-parrot/abc.gif' },
      ),
    );
    expect(hints.get('thinking_face')).toBe('🤔');
    expect(hints.get('acme-logo')).toBeNull();
    expect(hints.get('+1::skin-tone-4')).toBe('👍🏽');
    // node-emoji does not know thinking_face; Slack's blocks do.
    expect(convert(':thinking_face: :acme-logo: :party-parrot: :+1::skin-tone-4:', hints)).toBe('🤔 👍🏽');
    // With blocks, a :word: they do not list is text the user typed, not an emoji.
    expect(convert('ratio :lol: ok', hints)).toBe('ratio :lol: ok');
  });

  it('drops what a stripped emoji leaves behind and trims', () => {
    expect(convert('  :acme-logo:  hello   :acme-logo:\n  next ')).toBe('hello\nnext');
    expect(convert(':acme-logo:')).toBe('');
  });

  it('cannot be tricked by private-use characters into restoring the wrong span', () => {
    expect(convert('a \uE0000\uE001 <https://x.example|x>')).toBe('a 0 [x](https://x.example)');
  });
});

describe('desk markdown → Slack mrkdwn', () => {
  it('converts emphasis', () => {
    expect(markdownToMrkdwn('**Bold** and __also__, *it* and _it_, ~~gone~~')).toBe('*Bold* and *also*, _it_ and _it_, ~gone~');
  });

  it('converts links and images, keeping URLs intact', () => {
    expect(markdownToMrkdwn('read [the guide](https://wiki.acme.example/a_b*c) now')).toBe(
      'read <https://wiki.acme.example/a_b*c|the guide> now',
    );
    expect(markdownToMrkdwn('[x](https://x.example/a_(b))')).toBe('<https://x.example/a_(b)|x>');
    expect(markdownToMrkdwn('![screenshot](https://i.example/s.png)')).toBe('<https://i.example/s.png|screenshot>');
    expect(markdownToMrkdwn('<https://auto.example/x>')).toBe('<https://auto.example/x>');
    expect(markdownToMrkdwn('[https://same.example](https://same.example)')).toBe('<https://same.example>');
    expect(markdownToMrkdwn('plain https://bare.example/x stays')).toBe('plain https://bare.example/x stays');
  });

  it('escapes control characters so agent text cannot become a mention or a link', () => {
    expect(markdownToMrkdwn('a < b & c > d <!channel> <@U1>')).toBe('a &lt; b &amp; c &gt; d &lt;!channel&gt; &lt;@U1&gt;');
    expect(escapeMrkdwn('<&>')).toBe('&lt;&amp;&gt;');
    expect(markdownToMrkdwn('[a | b <c>](https://x.example/?q=a|b)')).toBe('<https://x.example/?q=a%7Cb|a ¦ b &lt;c&gt;>');
  });

  it('keeps code as code', () => {
    expect(markdownToMrkdwn('run `**npm** <ci>` then\n```sh\nnpm test && echo *done*\n```')).toBe(
      'run `**npm** &lt;ci&gt;` then\n```npm test &amp;&amp; echo *done*```',
    );
  });

  it('turns headings into bold lines and list markers into bullets', () => {
    expect(markdownToMrkdwn('# Steps\n- one\n* two\n  + nested')).toBe('*Steps*\n• one\n• two\n  • nested');
  });

  it('leaves Unicode emoji and plain text alone', () => {
    expect(markdownToMrkdwn('Hi Ana 🙂 which VPN client version do you run?')).toBe('Hi Ana 🙂 which VPN client version do you run?');
  });
});
