@booklore
Feature: Books in the library
  BookLore serves progress only for books in its library, found by the
  document hash of the book's file. Any other hash is not found.

  @S-BOOK-1
  Rule: A hash that matches no book answers 404 to pull and push, and stores nothing

    Scenario: Pushing for an unknown book
      Given a hash "X" that matches no book
      When alice pushes "X" at 0.5 with progress "lost"
      Then the answer is 404

    Scenario: Pulling for an unknown book
      Given a hash "X" that matches no book
      When alice pulls "X"
      Then the answer is 404

    @needs-admin
    Scenario: A refused push is not stored for later
      Given a hash "X" that matches no book
      When alice pushes "X" at 0.5 with progress "lost"
      And the library gains the book "X"
      And alice pulls "X"
      Then the answer is 404
