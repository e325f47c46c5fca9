@booklore-plugin
Feature: Debounced page-triggered uploads
  To avoid excessive API traffic, uploads triggered by page turns are
  debounced: at least 25 seconds between pushes. Time in these scenarios is
  virtual; "20 seconds pass" moves the client's and the server's clocks.

  Background:
    Given progress sync is enabled
    And Wi-Fi is connected
    And "Periodically sync every # pages" is set to 5

  @C-PUSH-6
  Rule: No page-triggered upload starts less than 25 s after the previous upload

    Scenario Outline: A periodic snapshot <wait> seconds after the open upload
      Given the reader has book A open at 20%
      When <wait> seconds pass
      And the reader turns 5 pages
      Then <outcome>

      Examples:
        | wait | outcome                                     |
        | 0    | no push reaches the server                  |
        | 20   | no push reaches the server                  |
        | 24   | no push reaches the server                  |
        | 25   | a push for book A at 25% reaches the server |
        | 90   | a push for book A at 25% reaches the server |

    Scenario: Reading fast for two minutes
      Given "Periodically sync every # pages" is set to 1
      And the reader has book A open at 10%
      When the reader turns 24 pages, one every 5 seconds
      Then page-triggered uploads start at least 25 seconds after the previous upload
      And at least 4 pushes reach the server

    Scenario: A close upload also restarts the 25 seconds
      Given the reader has book A open at 20%
      And 60 seconds pass
      And the reader closes the book
      And the reader opens book B at 40%
      When 10 seconds pass
      And the reader turns 5 pages
      Then no push reaches the server

  @C-PUSH-7
  Rule: Interpretation: a page-triggered upload inside the window is skipped, not delayed; open, close, rating and Sync Pending Now are not debounced
    Interpretation: the source gives the 25 s minimum but not what happens to
    an upload that falls inside it. The contract reads it as skipped: nothing
    fires when the window ends, the snapshot stays queued and goes out with
    the next upload. Uploads the reader asks for or that open or close a book
    are not page-triggered and are never held back.

    Scenario: The held-back snapshot is not sent when the window ends
      Given the reader has book A open at 20%
      And 5 seconds pass
      And the reader turns 5 pages
      And the queue summary reads 1P
      When 60 seconds pass
      Then no request reaches the server
      And the queue summary reads 1P

    Scenario: The held-back snapshot goes out with the next upload, in order
      Given the reader has book A open at 20%
      And 5 seconds pass
      And the reader turns 5 pages
      And 60 seconds pass
      When the reader turns 5 pages
      Then 2 pushes reach the server
      And the pushes for book A are at 25% then 30%
      And the queue summary reads 0P

    Scenario Outline: Not held back 5 seconds after an upload: <action>
      Given "Set book to read on rating" is on
      And the reader has book A open at 20%
      And 5 seconds pass
      And <situation>
      When <action>
      Then <push>

      Examples:
        | situation                  | action                            | push                                         |
        | the reader turns 5 pages   | the reader closes the book        | a push for book A at 25% reaches the server  |
        | the reader turns 5 pages   | the reader runs Sync Pending Now  | a push for book A at 25% reaches the server  |
        | nothing else happened      | the reader rates the book 4 stars | a push for book A at 100% reaches the server |
        | the reader closes the book | the reader opens book B at 40%    | a push for book B at 40% reaches the server  |
