/**
 * One of something per owner (a database), made on first use and gone with the owner:
 * lookup batchers, the principal cache, and what this process remembers per database.
 */
export function onePer<O extends object, V>(make: (owner: O) => V): (owner: O) => V {
  const made = new WeakMap<O, V>();
  return (owner) => {
    let value = made.get(owner);
    if (value === undefined) {
      value = make(owner);
      made.set(owner, value);
    }
    return value;
  };
}
