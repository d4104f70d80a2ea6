/**
 * Returns a function that delays calling `fn` until `wait` ms have passed
 * since the last call.
 */
export function debounce(fn, wait = 250) {
    let timer = null;
	let lastArgs = [];

    function debounced(...args) {
		lastArgs = args;
    if (timer !== null) {
			clearTimeout(timer);
        }
		timer = setTimeout(() => {
			timer = null;
            fn.apply(this, lastArgs);
		}, wait);
  }

    debounced.cancel = () => {
		if (timer !== null) {
			clearTimeout(timer);
            timer = null;
		}
  };

    return debounced;
}
